-- An admin's switch of the flash-sale gate per SKU (src/gate/): on, off, or auto (on while the SKU is
-- hot). The gate's counts and admissions live in Redis or in process and are rebuilt from the log;
-- the switch is a person's decision, so it is kept here, and written back to the gate if the gate
-- forgets it (Redis emptied, the embedded process restarted).
CREATE TABLE flash_sale_gate_switches (
  sku        text PRIMARY KEY,
  mode       text NOT NULL CHECK (mode IN ('auto', 'on', 'off')),
  changed_by text NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now()
);
