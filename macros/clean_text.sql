{{!-- clean_text: trims white space (see trimmed); an empty value becomes NULL. --}}nullif({{trimmed column=column}}, '')
