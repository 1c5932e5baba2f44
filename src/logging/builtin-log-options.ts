/** dockerd's built-in options valid for every driver but none (daemon/logger/log_cache_opts, ValidateLogOpts). */
export const builtInOptions: ReadonlySet<string> = new Set(['mode', 'max-buffer-size', 'cache-disabled', 'cache-max-size', 'cache-max-file', 'cache-compress']);
