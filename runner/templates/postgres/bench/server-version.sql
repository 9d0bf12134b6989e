{{!-- the server's version, for the machine the figures came from --}}
select current_setting('server_version') as version
