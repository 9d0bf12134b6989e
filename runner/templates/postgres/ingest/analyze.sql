analyze {{relation}}
