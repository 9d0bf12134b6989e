{{!-- an empty temporary table with the given columns; `type` comes from the catalog (format_type) --}}
create temporary table {{relation}} ({{#each columns}}{{ident name}} {{type}}{{#unless @last}}, {{/unless}}{{/each}})
