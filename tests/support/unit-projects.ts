/** A small project with unit tests, for the suites of the unit-test feature (parsing, running, the CLI). */

/**
 *   raw.orders ── stg_orders (incremental) ── customer_totals (table) ── big_customers (view)
 *   lonely (table, no unit test)
 */
export const ordersProject: Record<string, string> = {
  'models/sources.yml': 'sources:\n  - name: raw\n    tables:\n      - name: orders\n        columns: [order_id, customer_id, amount]\n',
  'models/staging/stg_orders.sql': '{{config materialized="incremental" unique_key="order_id"}}\n' +
    'select order_id::int as order_id, customer_id::int as customer_id, amount::numeric(12, 2) as amount, _batch_id\n' +
    'from {{source "raw" "orders"}}\n{{#if is_incremental}}where _batch_id > {{prev.batch_id}}{{/if}}\n',
  'models/marts/customer_totals.sql': 'select customer_id, sum(amount) as total, count(*)::int as orders\nfrom {{ref "stg_orders"}}\ngroup by customer_id\n',
  'models/marts/big_customers.sql': '{{config materialized="view"}}\nselect customer_id from {{ref "customer_totals"}} where total > 100\n',
  'models/marts/lonely.sql': 'select 1 as one\n',
  'models/marts/unit_tests.yml': `unit_tests:
  - name: totals_per_customer
    model: customer_totals
    given:
      - input: ref("stg_orders")
        rows: |
          order_id,customer_id,amount
          1,7,10.50
          2,7,20
          3,8,5
    expect:
      rows:
        - {customer_id: 7, total: 30.5, orders: 2}
        - {customer_id: 8, total: 5, orders: 1}
  - name: a_later_batch_replaces_an_order
    model: stg_orders
    steps:
      - given:
          - input: source("raw", "orders")
            rows: [{order_id: "1", customer_id: "7", amount: "10.50"}, {order_id: "2", customer_id: "7", amount: "1"}]
        expect:
          rows: [{order_id: 1, amount: 10.5, _batch_id: 1}, {order_id: 2, amount: 1, _batch_id: 1}]
      - given:
          - input: source("raw", "orders")
            rows: [{order_id: "2", customer_id: "7", amount: "2.25"}]
        expect:
          rows: [{order_id: 1, amount: 10.5, _batch_id: 1}, {order_id: 2, amount: 2.25, _batch_id: 2}]
  - name: only_big_ones
    model: big_customers
    given:
      - input: ref("customer_totals")
        rows: [{customer_id: 1, total: 100}, {customer_id: 2, total: 100.01}]
    expect:
      rows: [{customer_id: 2}]
`,
};
