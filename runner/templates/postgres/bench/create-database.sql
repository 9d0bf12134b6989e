{{!-- a new database for one bench case; from a template it is a file copy (no WAL of every page), as a
      restore of a built warehouse would be --}}
create database {{ident name}}{{#if template}} template {{ident template}} strategy file_copy{{/if}}
