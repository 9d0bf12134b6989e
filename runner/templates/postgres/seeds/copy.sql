copy {{temp}} ({{#each columns}}{{ident this}}{{#unless @last}}, {{/unless}}{{/each}}) from stdin with (format csv)
