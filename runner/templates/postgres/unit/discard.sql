{{!-- the end of a unit-test session: every temporary relation it made goes --}}
discard temp
