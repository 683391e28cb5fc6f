/**
 * PostgreSQL built-in functions that reach outside the data a query reads: the file system, other
 * servers, server settings and processes, replication, large objects, sleeping, or SQL text run
 * behind the inspector's back. A call to any of them makes the statement an `admin` operation.
 * Matched on the function name without schema (unqualified or `pg_catalog.`); the entries ending
 * in `*` match every name with that prefix.
 */
export const POSTGRES_ADMIN_FUNCTIONS: readonly string[] = Object.freeze([
  // files and directories of the server
  "pg_read_file",
  "pg_read_binary_file",
  "pg_read_file_old",
  "pg_stat_file",
  "pg_ls_*",
  "pg_file_*",
  "pg_logdir_ls",
  "pg_current_logfile",
  // large objects (server-side files and blobs outside any table)
  "lo_*",
  "loread",
  "lowrite",
  // other servers
  "dblink*",
  // SQL text executed by the function itself: the inspector never sees what it reads
  "query_to_xml*",
  "query_to_xmlschema",
  "cursor_to_xml*",
  "table_to_xml*",
  "schema_to_xml*",
  "database_to_xml*",
  "ts_stat",
  // settings and server control
  "set_config",
  "current_setting",
  "pg_reload_conf",
  "pg_rotate_logfile*",
  "pg_show_all_settings",
  "pg_show_all_file_settings",
  "pg_hba_file_rules",
  "pg_ident_file_mappings",
  "pg_terminate_backend",
  "pg_cancel_backend",
  "pg_signal_backend",
  "pg_promote",
  "pg_switch_wal",
  "pg_create_restore_point",
  "pg_backup_*",
  "pg_start_backup",
  "pg_stop_backup",
  "pg_wal_replay_*",
  "pg_log_backend_memory_contexts",
  "pg_import_system_collations",
  "pg_stop_making_pinned_objects",
  "pg_nextoid",
  "binary_upgrade_*",
  // other sessions and statistics that expose values or query text
  "pg_stat_get_activity",
  "pg_stat_get_backend_activity",
  "pg_stat_statements*",
  "pg_stat_reset*",
  "pg_prepared_statement",
  "pg_cursor",
  "pg_mcv_list_items",
  // replication and logical decoding (every change to every table)
  "pg_logical_*",
  "pg_replication_*",
  "pg_create_logical_replication_slot",
  "pg_create_physical_replication_slot",
  "pg_drop_replication_slot",
  "pg_copy_logical_replication_slot",
  "pg_copy_physical_replication_slot",
  "pg_get_replication_slots",
  // notifications to other sessions, sequences set by hand, waiting
  "pg_notify",
  "setval",
  "pg_sleep*",
]);

/**
 * PostgreSQL relations whose mere reading is an admin operation: credentials, connection strings,
 * server configuration, other sessions' query text, and column statistics (which hold sample
 * values of every column, `salary` included).
 */
export const POSTGRES_ADMIN_RELATIONS: readonly string[] = Object.freeze([
  "pg_authid",
  "pg_shadow",
  "pg_user_mapping",
  "pg_user_mappings",
  "pg_subscription",
  "pg_hba_file_rules",
  "pg_ident_file_mappings",
  "pg_file_settings",
  "pg_settings",
  "pg_config",
  "pg_db_role_setting",
  "pg_stat_activity",
  "pg_stat_replication",
  "pg_replication_slots",
  "pg_stat_statements",
  "pg_stat_statements_info",
  "pg_prepared_statements",
  "pg_cursors",
  "pg_statistic",
  "pg_statistic_ext_data",
  "pg_stats",
  "pg_stats_ext",
  "pg_stats_ext_exprs",
  "pg_largeobject",
  "pg_largeobject_metadata",
]);

/**
 * Functions of the other dialects (MySQL/MariaDB, SQLite, BigQuery) that reach outside the data:
 * files, extensions, other servers, sleeping and locks, replication waits. Same `*` convention.
 */
export const GENERIC_ADMIN_FUNCTIONS: readonly string[] = Object.freeze([
  "load_file",
  "load_extension",
  "readfile",
  "writefile",
  "edit",
  "fts3_tokenizer",
  "sys_exec",
  "sys_eval",
  "sleep",
  "benchmark",
  "get_lock",
  "release_lock",
  "release_all_locks",
  "is_free_lock",
  "is_used_lock",
  "master_pos_wait",
  "source_pos_wait",
  "wait_for_executed_gtid_set",
  "wait_until_sql_thread_after_gtids",
  "external_query",
  "xp_*",
  "sp_*",
  "openrowset",
  "openquery",
  "opendatasource",
]);

/** Relations of the other dialects whose reading is an admin operation (schemas given as `schema.*`). */
export const GENERIC_ADMIN_RELATIONS: readonly string[] = Object.freeze([
  "mysql.*",
  "performance_schema.*",
  "sys.*",
  "information_schema.processlist",
  "information_schema.user_privileges",
  "information_schema.schema_privileges",
  "information_schema.table_privileges",
  "information_schema.column_privileges",
]);

/** Compiles one of the lists above into a matcher on a lower-case name. */
export function nameMatcher(list: readonly string[]): (name: string) => boolean {
  const exact = new Set(list.filter((n) => !n.endsWith("*")));
  const prefixes = list.filter((n) => n.endsWith("*")).map((n) => n.slice(0, -1));
  return (name) => exact.has(name) || prefixes.some((p) => name.startsWith(p));
}
