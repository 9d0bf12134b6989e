import { expect } from 'chai';
import { indexList } from '../../runner/src/run/materialize.js';

describe('runner: the indexes a model\'s config lists', () => {
  it('should make one index per item: a column, columns in parentheses, an expression', () => {
    expect(indexList('_batch_id, (customer_id, sale_timestamp), sale_timestamp')).to.deep.equal(['_batch_id', 'customer_id, sale_timestamp', 'sale_timestamp']);
    expect(indexList('(lower(email))')).to.deep.equal(['(lower(email))']);
    expect(indexList('(coalesce(a, b)), c')).to.deep.equal(['(coalesce(a, b))', 'c']);
    expect(indexList(' a ,b,, ')).to.deep.equal(['a', 'b']);
    expect(indexList(['a, b', 'c'])).to.deep.equal(['a, b', 'c']);
    expect(indexList(undefined)).to.deep.equal([]);
    expect(indexList('')).to.deep.equal([]);
  });
});
