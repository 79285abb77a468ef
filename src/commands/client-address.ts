import { createHmac } from 'node:crypto';
import { isIP } from 'node:net';

/**
 * How an order keeps the address it was placed from: as a keyed hash (HMAC-SHA256 under a key derived
 * from the platform's secret), so that the fraud rules can count orders per address while the log,
 * which is never rewritten, holds no address at all. The same address gives the same key in every
 * API process sharing the secret; without the secret a key cannot be turned back into an address.
 *
 * An IPv6 address counts by its /64 network, which one subscriber usually holds whole (a card tester
 * would otherwise take a new address per order). Loopback is not counted: it is this machine (tests,
 * benchmarks, a local proxy whose forwarded address is not trusted), not a client.
 */
export function clientAddressKey(secret: string): (address: string) => string | undefined {
  const key = createHmac('sha256', secret).update('client-address-key').digest();
  return (address) => {
    const counted = countedPart(address);
    if (counted === undefined) return undefined;
    return createHmac('sha256', key).update(counted).digest('base64url').slice(0, 32);
  };
}

/** The part of an address the rules count by, or undefined for loopback and what is not an address. */
function countedPart(address: string): string | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const ip = mapped ?? address;
  switch (isIP(ip)) {
    case 4:
      return ip.startsWith('127.') ? undefined : ip;
    case 6: {
      const groups = expandIpv6(ip);
      if (groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1) return undefined; // ::1
      return `${groups
        .slice(0, 4)
        .map((g) => g.toString(16))
        .join(':')}::/64`;
    }
    default:
      return undefined;
  }
}

/** The eight 16-bit groups of an IPv6 address (`::` expanded; a zone index dropped). */
function expandIpv6(address: string): number[] {
  const [head = '', tail] = address.split('%')[0]!.split('::');
  const parse = (part: string) => (part ? part.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const front = parse(head);
  const back = tail === undefined ? [] : parse(tail);
  return [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
}
