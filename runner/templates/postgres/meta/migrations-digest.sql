{{!-- $1: the project's migrations folder --}}
select digest from meta.migrations_digest where dir = $1
