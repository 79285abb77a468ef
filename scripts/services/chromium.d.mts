// Types for scripts/services/chromium.mjs.
export declare const DEFAULT_CHROMIUM_PATH: string;
export declare const CHROMIUM_FLAGS: readonly string[];
export declare function chromiumVersion(path: string): string | undefined;
export declare function ensureChromium(): string;
export declare function up(): Promise<{ CHROMIUM_PATH: string }>;
export declare function down(): Promise<void>;
