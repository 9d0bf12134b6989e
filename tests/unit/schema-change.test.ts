import { expect } from 'chai';
import type { Relation } from '../../runner/src/db/catalog.js';
import { compareColumns, sameType } from '../../runner/src/run/schema-change.js';

describe('runner: comparing a model\'s columns with its table', () => {
  const table: Relation = { schema: 'analytics', name: 'fact', kind: 'table', hasDependents: false,
    columns: ['customer_key', 'id', 'amount', 'note', 'at'],
    types: ['bigint', 'integer', 'numeric(12,2)', 'character varying(10)', 'timestamp(3) without time zone'] };

  it('should take a type with and without a modifier as the same, but two different modifiers as a change', () => {
    expect(sameType('numeric(12,2)', 'numeric')).to.equal(true);
    expect(sameType('numeric', 'numeric(12,2)')).to.equal(true);
    expect(sameType('timestamp(3) without time zone', 'timestamp without time zone')).to.equal(true);
    expect(sameType('numeric(12,2)', 'numeric(14,4)')).to.equal(false);
    expect(sameType('integer', 'bigint')).to.equal(false);
    expect(sameType('numeric(12,2)[]', 'numeric[]')).to.equal(true);
  });

  it('should list added, removed and retyped columns, leaving the materialization\'s own columns out', () => {
    const diff = compareColumns(table, [
      { name: 'id', type: 'bigint' }, { name: 'amount', type: 'numeric' }, { name: 'note', type: 'character varying(20)' },
      { name: 'at', type: 'timestamp without time zone' }, { name: 'channel', type: 'text' },
    ], ['customer_key']);
    expect(diff).to.deep.equal({
      added: [{ name: 'channel', type: 'text' }],
      removed: [],
      retyped: [{ name: 'id', from: 'integer', to: 'bigint' }, { name: 'note', from: 'character varying(10)', to: 'character varying(20)' }],
    });
    expect(compareColumns(table, [{ name: 'id', type: 'integer' }]).removed.map((c) => c.name))
      .to.deep.equal(['customer_key', 'amount', 'note', 'at']);
  });
});
