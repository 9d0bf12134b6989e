{{!-- an input of a unit test: the columns of its model or source, no constraints --}}
create temporary table {{relation}} (like {{shape}})
