{{!-- a query whose text names the session it runs on: the driver's debug hook tells which connection ran it --}}
select 1 as sadp_session_{{id}}
