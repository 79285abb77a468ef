// Types for scripts/services/redis.mjs.
export declare function up(): Promise<{ REDIS_URL: string }>;
export declare function down(): Promise<void>;
