/**
 * Every key the runner reads from a project, one table per level of the YAML files under `models/` and
 * one for model configuration. A key that no table names is a mistake (a typo would otherwise drop
 * what it holds without a word): teach the runner to read a key, then add it here.
 */
export const yamlKeys = {
  /** The top of a YAML file. `version` is dbt's; accepted and not read, as is `meta` below (free-form, dbt's too). */
  file: ['version', 'models', 'sources', 'unit_tests', 'defaults', 'vars'],
  /** An entry of `models:`. */
  model: ['name', 'description', 'config', 'columns', 'tests', 'data_tests', 'meta'],
  /** An entry of a model's `columns:`. */
  column: ['name', 'description', 'data_type', 'tests', 'data_tests', 'meta'],
  /** An entry of `sources:`. */
  source: ['name', 'schema', 'description', 'meta', 'tables', 'freshness', 'loaded_at_field', 'distributed_by', 'distribution'],
  /** An entry of a source's `tables:`. */
  source_table: ['name', 'schema', 'description', 'meta', 'columns', 'required', 'freshness', 'loaded_at_field',
    'distributed_by', 'distribution'],
  /** A source table's column written as a mapping rather than a name. */
  source_column: ['name', 'description'],
  /** `freshness:` of a source or source table. */
  freshness: ['warn_after', 'error_after'],
  /** `warn_after:` and `error_after:` of a freshness. */
  freshness_after: ['count', 'period'],
  /** An entry of `unit_tests:` (see unit/spec.ts). */
  unit_test: ['name', 'model', 'description', 'given', 'expect', 'steps', 'this', 'last_run', 'config', 'tags'],
  /** An entry of a unit test's `steps:`. */
  unit_step: ['given', 'expect', 'description'],
  /** An entry of a unit test's `given:`. */
  unit_given: ['input', 'rows', 'format', 'replace'],
  /** A unit test's `last_run:`. */
  unit_last_run: ['batch_id', 'run_id'],
} as const;

export type YamlLevel = keyof typeof yamlKeys;

/** Model configuration: `{{config …}}`, `config:` of a model in YAML, a folder's `defaults:`. */
export const configKeys = [
  'materialized', 'schema', 'alias', 'unique_key', 'tags', 'enabled', 'description', 'indexes',
  'post_hook', 'pre_hook', 'updated_at', 'check_cols', 'hard_deletes', 'surrogate_key', 'valid_from',
  'valid_to', 'current_flag', 'unknown_member', 'severity', 'reject_column', 'reject_source', 'batch_column',
  'distributed_by', 'distribution', 'on_schema_change',
];

/** Settings that name columns of the model's SELECT: checked against its columns before a build. */
export const columnSettings = ['unique_key', 'check_cols', 'updated_at', 'distributed_by', 'batch_column'] as const;

/**
 * The arguments of each shipped data test kind. A project's own kind (`macros/tests/<name>.sql`) takes
 * whatever its template reads.
 */
export const testArguments: Record<string, readonly string[]> = {
  unique: [],
  not_null: [],
  accepted_values: ['values'],
  relationships: ['to', 'field'],
  scd2_valid: ['unique_key', 'valid_from', 'valid_to', 'current_flag', 'where'],
  unique_combination_of_columns: ['combination_of_columns'],
};

/** Arguments every test takes. */
export const commonTestArguments = ['severity'];

/** Test arguments that name columns of the tested model. */
export const testColumnArguments: Record<string, readonly string[]> = {
  scd2_valid: ['unique_key', 'valid_from', 'valid_to', 'current_flag'],
  unique_combination_of_columns: ['combination_of_columns'],
};
