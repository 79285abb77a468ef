import type { SqlClient } from '../db/sql-client.ts';
import type { GateMode } from './gate-store.ts';

export type GateSwitch = Readonly<{ sku: string; mode: GateMode; changedBy: string; changedAt: string }>;

/** The admins' switches of the gate, kept in the database (migrations/0025_flash_sale_gate.sql). */
export class GateSwitches {
  constructor(private readonly db: SqlClient) {}

  async save(sku: string, mode: GateMode, changedBy: string): Promise<GateSwitch> {
    const [row] = await this.db.query<Row>(
      `INSERT INTO flash_sale_gate_switches (sku, mode, changed_by) VALUES ($1, $2, $3)
       ON CONFLICT (sku) DO UPDATE SET mode = EXCLUDED.mode, changed_by = EXCLUDED.changed_by, changed_at = now()
       RETURNING sku, mode, changed_by, changed_at`,
      [sku, mode, changedBy],
    );
    return fromRow(row!);
  }

  async all(): Promise<GateSwitch[]> {
    const rows = await this.db.query<Row>(
      `SELECT sku, mode, changed_by, changed_at FROM flash_sale_gate_switches ORDER BY sku`,
    );
    return rows.map(fromRow);
  }
}

type Row = { sku: string; mode: GateMode; changed_by: string; changed_at: Date | string };

const fromRow = (row: Row): GateSwitch => ({
  sku: row.sku,
  mode: row.mode,
  changedBy: row.changed_by,
  changedAt: new Date(row.changed_at).toISOString(),
});
