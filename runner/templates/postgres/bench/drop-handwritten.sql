{{!-- what the hand-written yardstick built, once it has been measured --}}
drop schema if exists hand cascade
