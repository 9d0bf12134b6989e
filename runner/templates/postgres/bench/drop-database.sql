drop database if exists {{ident name}} with (force)
