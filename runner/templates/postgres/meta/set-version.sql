comment on schema meta is {{literal version}}
