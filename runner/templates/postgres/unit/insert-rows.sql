{{!-- the rows $1 (a JSON array of objects) into `relation`, each value read with its column's type;
      absent columns are NULL --}}
insert into {{relation}}
select * from json_populate_recordset(null::{{relation}}, $1::json)
