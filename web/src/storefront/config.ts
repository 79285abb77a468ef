import { request } from '../shared/api.ts';
import type { StorefrontConfig } from '../shared/types.ts';

let config: Promise<StorefrontConfig> | undefined;

/** `GET /storefront/config` (the gateway, its payment methods, the return window), asked once per page load. */
export function storefrontConfig(): Promise<StorefrontConfig> {
  config ??= request<StorefrontConfig>('/storefront/config', { auth: false });
  // A failure is not kept: the next page asks again.
  config.catch(() => {
    config = undefined;
  });
  return config;
}
