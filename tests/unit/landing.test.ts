import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { byteOrder, listLandingFiles, matchSource } from '../../runner/src/ingest/landing.js';
import type { SourceTable } from '../../runner/src/project/sources.js';
import { writeFiles } from '../support/files.js';

const table = (name: string): SourceTable => ({ source: 'raw', name, schema: 'raw', columns: ['id'], required: ['id'] });
const tables = ['customers', 'customers_updates', 'sales', 'products'].map(table);
const sourceOf = (file: string) => matchSource(file, tables)?.name;

describe('landing: matching files to sources', () => {
  it('should match a file named exactly like a source', () => {
    expect(sourceOf('sales.csv')).to.equal('sales');
  });

  it('should match a file named after a source with an underscore suffix', () => {
    expect(sourceOf('sales_2026-01.csv')).to.equal('sales');
    expect(sourceOf('products_extra_batch.csv')).to.equal('products');
  });

  it('should let the longest matching source name win', () => {
    expect(sourceOf('customers_updates_2026-02.csv')).to.equal('customers_updates');
    expect(sourceOf('customers_updates.csv')).to.equal('customers_updates');
    expect(sourceOf('customers_2026-02.csv')).to.equal('customers');
  });

  it('should match a file lying in a folder named like a source, at any depth', () => {
    expect(sourceOf('sales/2026-01.csv')).to.equal('sales');
    expect(sourceOf('2026/q1/sales/week-01.csv')).to.equal('sales');
    expect(sourceOf('customers_updates/jan.csv')).to.equal('customers_updates');
  });

  it('should not match names that merely start with a source name', () => {
    expect(sourceOf('salesforce.csv')).to.equal(undefined);
    expect(sourceOf('sales-2026.csv')).to.equal(undefined);
    expect(sourceOf('sales.txt')).to.equal(undefined);
    expect(sourceOf('salesfolder/x.csv')).to.equal(undefined);
  });
});

describe('landing: rules that decide between names', () => {
  it('should let the longest source name win between a folder and a file name', () => {
    expect(sourceOf('customers/customers_updates_2026-02.csv')).to.equal('customers_updates');
    expect(sourceOf('customers_updates/customers.csv')).to.equal('customers_updates');
    expect(sourceOf('sales/customers.csv')).to.equal('customers');
  });

  it('should take a .csv extension in any case, and no other', () => {
    expect(sourceOf('sales_2026.CSV')).to.equal('sales');
    expect(sourceOf('sales.csv.gz')).to.equal(undefined);
    expect(sourceOf('sales/notes.tsv')).to.equal(undefined);
  });

  it('should compare paths byte by byte, as the C collation does', () => {
    const names = ['sales_2025-06.csv', 'sales/b.csv', 'Sales.csv', 'sales.csv', 'sales/B.csv', 'éclair.csv', 'zebra.csv'];
    expect([...names].sort(byteOrder)).to.deep.equal(
      ['Sales.csv', 'sales.csv', 'sales/B.csv', 'sales/b.csv', 'sales_2025-06.csv', 'zebra.csv', 'éclair.csv']);
    expect(byteOrder('sales.csv', 'sales.csv')).to.equal(0);
  });
});

describe('landing: listing a landing directory', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sadp-landing-'));
    writeFiles(dir, {
      'sales_2025-06.csv': 'id\n',
      'sales.csv': 'id\n',
      'sales/2026-01.csv': 'id\n',
      'customers_updates_2026-02.csv': 'id\n',
      'notes.csv': 'id\n',
      'readme.txt': 'not a csv\n',
      'zz/élan.csv': 'id\n',
      'zz/zeta.csv': 'id\n',
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('should list csv files recursively in byte order with their sources, and the unmatched apart', () => {
    const { matched, unmatched } = listLandingFiles(dir, tables);
    expect(matched.map((f) => [f.relPath, f.table.name])).to.deep.equal([
      ['customers_updates_2026-02.csv', 'customers_updates'],
      ['sales.csv', 'sales'],
      ['sales/2026-01.csv', 'sales'],
      ['sales_2025-06.csv', 'sales'],
    ]);
    expect(matched[1].path).to.equal(join(dir, 'sales.csv'));
    // byte order: 'z' (0x7a) sorts before 'é' (0xc3 0xa9)
    expect(unmatched).to.deep.equal(['notes.csv', 'zz/zeta.csv', 'zz/élan.csv']);
  });

  it('should refuse a landing directory that does not exist, with exit code 2', () => {
    expect(() => listLandingFiles(join(dir, 'missing'), tables)).to.throw(/missing.*doesn't exist/)
      .with.property('exitCode', 2);
  });
});
