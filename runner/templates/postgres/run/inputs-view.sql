{{!-- a model's SELECT as a temporary view, so that PostgreSQL says what it reads (the caller rolls back) --}}
create temporary view sadp_inputs as
{{sql}}
