{{!-- clean_text: trims spaces, tabs and line breaks; an empty value becomes NULL. --}}nullif(btrim({{column}}, E' \t\r\n'), '')
