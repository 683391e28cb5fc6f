/**
 * Built-in functions of MySQL/MariaDB, SQLite and BigQuery that only compute over their arguments.
 * Any other function (a stored function, a UDF, a name this list lacks) is opaque code: the
 * inspector reports it as an admin operation rather than guess what it reads.
 */
export const GENERIC_BUILTIN_FUNCTIONS: ReadonlySet<string> = new Set(
  [
    // aggregates
    "count sum avg min max group_concat string_agg array_agg any_value bit_and bit_or bit_xor std stddev",
    "stddev_pop stddev_samp variance var_pop var_samp json_arrayagg json_objectagg countif logical_and",
    "logical_or approx_count_distinct approx_quantiles approx_top_count approx_top_sum total corr",
    "covar_pop covar_samp median percentile_cont percentile_disc",
    // window
    "row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value",
    // strings
    "concat concat_ws length char_length character_length lower upper lcase ucase trim ltrim rtrim btrim",
    "substr substring substring_index mid replace reverse left right lpad rpad repeat space instr locate",
    "position strpos format split starts_with ends_with regexp_replace regexp_extract regexp_extract_all",
    "regexp_contains regexp_like regexp_substr regexp_instr like glob soundex ascii char chr ord hex unhex",
    "quote printf initcap translate byte_length octet_length bit_length to_base64 from_base64 md5 sha1 sha2",
    "sha256 sha512 farm_fingerprint field find_in_set elt make_set export_set insert lower_case normalize",
    "collate to_code_points code_points_to_string code_points_to_bytes safe_convert_bytes_to_string",
    "unicode char_length contains_substr instr",
    // numbers
    "abs ceil ceiling floor round truncate trunc mod pow power sqrt exp ln log log2 log10 sign pi sin cos",
    "tan asin acos atan atan2 cot degrees radians greatest least div safe_divide ieee_divide",
    "safe_multiply safe_add safe_subtract safe_negate conv bin oct crc32 rand random randomblob zeroblob",
    "is_inf is_nan range_bucket",
    // conditionals and casts
    "coalesce ifnull nullif if iif isnull nvl cast convert safe_cast exists values not",
    // dates and times
    "now current_date current_time current_timestamp current_datetime curdate curtime sysdate date time",
    "datetime timestamp julianday strftime unixepoch date_add date_sub adddate subdate datediff timediff",
    "timestampdiff timestampadd date_format time_format str_to_date extract year month monthname day",
    "dayname dayofweek dayofmonth dayofyear hour minute second microsecond week weekday weekofyear",
    "yearweek quarter last_day makedate maketime from_unixtime unix_timestamp utc_timestamp utc_date",
    "utc_time convert_tz date_trunc datetime_trunc timestamp_trunc time_trunc format_date format_datetime",
    "format_time format_timestamp parse_date parse_datetime parse_time parse_timestamp",
    "generate_date_array generate_timestamp_array date_diff datetime_diff timestamp_diff time_diff",
    "datetime_add datetime_sub timestamp_add timestamp_sub time_add time_sub date_from_unix_date",
    "unix_date unix_seconds unix_millis unix_micros timestamp_seconds timestamp_millis timestamp_micros",
    "period_add period_diff sec_to_time time_to_sec to_days from_days to_seconds localtime localtimestamp",
    // JSON, arrays, structs
    "json_extract json_unquote json_object json_array json_contains json_contains_path json_length",
    "json_keys json_valid json_set json_insert json_replace json_remove json_type json_value json_query",
    "json_extract_scalar json_extract_array json_query_array json_value_array json_depth json_search",
    "json_merge_patch json_merge_preserve json_pretty json_quote json_array_append json_array_insert",
    "json_overlaps json_table to_json to_json_string parse_json json_group_array json_group_object",
    "json_each json_tree json_patch json_array_length json_insert json_remove json_quote json",
    "array array_length array_concat array_to_string array_reverse array_includes generate_array unnest",
    "struct offset ordinal safe_offset safe_ordinal",
    // misc pure functions
    "typeof uuid uuid_short generate_uuid inet_aton inet_ntoa inet6_aton inet6_ntoa is_ipv4 is_ipv6",
    "row_count found_rows last_insert_id changes total_changes likelihood likely unlikely",
    "interval match against",
  ]
    .join(" ")
    .split(" ")
    .filter((s) => s !== ""),
);
