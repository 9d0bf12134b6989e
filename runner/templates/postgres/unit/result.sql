{{!-- what the model's SELECT returns for a test, kept to be compared --}}
create temporary table {{relation}} as
{{sql}}
