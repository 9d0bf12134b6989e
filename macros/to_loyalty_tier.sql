{{!-- to_loyalty_tier: Bronze, Silver, Gold or Platinum whatever the case in (ASCII letters folded, the same
      on every database locale); NULL when empty or unknown. --}}(case translate({{trimmed column=column}}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') when 'bronze' then 'Bronze' when 'silver' then 'Silver' when 'gold' then 'Gold' when 'platinum' then 'Platinum' end)
