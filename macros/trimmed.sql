{{!-- trimmed: `column` without the white space around it (space, tab, line feed, carriage return, form feed,
      vertical tab: what PostgreSQL's number input skips itself), so that every parser sees the same text. --}}btrim({{column}}, E' \t\n\r\f\x0b')
