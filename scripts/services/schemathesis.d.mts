// Types for scripts/services/schemathesis.mjs, which test/api/fuzz.spec.ts imports to install and find `st`.
export declare const SCHEMATHESIS_VERSION: string;
export declare const schemathesisBin: string;
export declare function up(): Promise<{ SCHEMATHESIS_BIN: string }>;
export declare function down(): Promise<void>;
