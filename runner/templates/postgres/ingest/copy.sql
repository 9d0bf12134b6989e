{{!-- CSV reads an unquoted empty field as NULL; raw keeps data as delivered, so '' stays '' --}}
copy {{target}} ({{#each columns}}{{ident this}}{{#unless @last}}, {{/unless}}{{/each}}) from stdin
{{#if csv}}with (format csv{{#if kept}}, force_not_null ({{#each kept}}{{ident this}}{{#unless @last}}, {{/unless}}{{/each}}){{/if}}){{/if}}
