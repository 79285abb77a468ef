import type { FastifyRequest } from 'fastify';
import type { CommandContext } from '../commands/command-handler.ts';

/**
 * The command context of an HTTP request: the signed-in actor (or the anonymous system) and a
 * correlation id that follows the request into every event it causes (a client may supply it).
 */
export function commandContext(request: FastifyRequest): CommandContext {
  const supplied = request.headers['x-correlation-id'];
  const correlationId =
    typeof supplied === 'string' && /^[\w.:-]{1,100}$/.test(supplied) ? supplied : request.id;
  const user = request.user as { sub: string; role: string } | undefined;
  return {
    actor: user ? { id: user.sub, role: user.role } : { id: 'anonymous', role: 'guest' },
    correlationId,
    causationId: null,
  };
}
