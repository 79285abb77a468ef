import { streamName } from '../stream-name.ts';

/** `inventory-<sku>`: one stream per inventory. */
export const inventoryStream = streamName('inventory');
