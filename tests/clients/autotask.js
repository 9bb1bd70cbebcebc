// Drives the real npm `@apigrate/autotask-restapi` library, unmodified, against `mock-psa serve`.
// The library looks the zone up lazily and then builds every URL from the zone's `url`, so the
// only override is `base_url` pointing at the mock (as its README documents).
//
// Env: MOCK_ORIGIN (http://127.0.0.1:PORT), MOCK_ADMIN_URL.
'use strict';
const assert = require('node:assert/strict');
const { AutotaskRestApi, FilterOperators: op } = require('@apigrate/autotask-restapi');
const { check, summary, admin, expectReject } = require('./support');

const origin = process.env.MOCK_ORIGIN;
const adminUrl = process.env.MOCK_ADMIN_URL;
assert.ok(origin && adminUrl, 'MOCK_ORIGIN and MOCK_ADMIN_URL must be set');

const USER = 'api@example.com';
const SECRET = 'secret';
const CODE = 'INTEGRATIONCODE';
const OWNER = 29682885; // the seeded normal resource
const API_ONLY = 29682886; // the seeded API-only resource
const base_url = `${origin}/ATServicesRest/`;
const at = new AutotaskRestApi(USER, SECRET, CODE, { base_url });

/** POSTs the original query body to a nextPageUrl, as Autotask's docs say to. */
async function followNext(url, body) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ApiIntegrationcode: CODE, UserName: USER, Secret: SECRET },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, `POST ${url}`);
  return res.json();
}

(async () => {
  // 23 companies: 5 pages of 5 (the last one short).
  const names = Array.from({ length: 23 }, (_, i) => `Paged Co ${String(i + 1).padStart(3, '0')}`);
  await admin(adminUrl, 'POST', '/seed', {
    companies: names.map((name, i) => ({ name, type: i % 2 === 0 ? 'Customer' : 'Prospect', status: 'Active' })),
  });

  let companyIds;
  await check('list: query sorted by id, with the zone looked up first', async () => {
    const q = await at.Companies.query({ filter: [{ op: op.gte, field: 'id', value: 0 }] });
    assert.equal(at.zoneInfo.url, base_url, 'zone url points back at the mock with a trailing slash');
    const ids = q.items.map((c) => c.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    assert.equal(q.items[0].id, 0, 'the tenant company 0 is first');
    assert.equal(q.pageDetails.count, 24);
    assert.equal(q.pageDetails.nextPageUrl, null);
    companyIds = ids.slice(1);
  });

  await check('filter: and/or groups, beginsWith, in, IncludeFields', async () => {
    const q = await at.Companies.query({
      IncludeFields: ['companyName'],
      filter: [
        { op: op.beginsWith, field: 'CompanyName', value: 'paged co 00' },
        {
          op: 'or',
          items: [
            { op: op.eq, field: 'companyType', value: 3 },
            { op: op.in, field: 'id', value: [companyIds[0], companyIds[1]] },
          ],
        },
      ],
    });
    // Paged Co 001..009: index 0 is a Customer but listed by id; odd indexes are Prospects.
    assert.deepEqual(q.items.map((c) => c.companyName), ['Paged Co 001', 'Paged Co 002', 'Paged Co 004', 'Paged Co 006', 'Paged Co 008']);
    assert.deepEqual(Object.keys(q.items[0]).sort(), ['companyName', 'id', 'userDefinedFields']);
  });

  await check('paginate: nextPageUrl across 5 pages, prevPageUrl on the way', async () => {
    const body = { MaxRecords: 5, filter: [{ op: op.beginsWith, field: 'companyName', value: 'Paged Co' }] };
    let page = await at.Companies.query(body);
    const seen = page.items.map((c) => c.companyName);
    let pages = 1;
    assert.equal(page.pageDetails.prevPageUrl, null);
    while (page.pageDetails.nextPageUrl) {
      assert.ok(page.pageDetails.nextPageUrl.startsWith(`${origin}/ATServicesRest/V1.0/Companies/query/next?`));
      page = await followNext(page.pageDetails.nextPageUrl, body);
      assert.ok(page.pageDetails.prevPageUrl, 'later pages link back');
      seen.push(...page.items.map((c) => c.companyName));
      pages += 1;
    }
    assert.equal(pages, 5);
    assert.deepEqual(seen, names);
  });

  await check('paginate with the library alone: re-query with id > last id', async () => {
    const seen = [];
    let last = 0;
    for (;;) {
      const q = await at.Companies.query({
        MaxRecords: 10,
        filter: [
          { op: op.gt, field: 'id', value: last },
          { op: op.contains, field: 'companyName', value: 'paged' },
        ],
      });
      if (q.items.length === 0) break;
      seen.push(...q.items.map((c) => c.companyName));
      last = q.items[q.items.length - 1].id;
    }
    assert.deepEqual(seen, names);
  });

  await check('count: /query/count honours the filter', async () => {
    assert.deepEqual(await at.Companies.count({ filter: [{ op: op.eq, field: 'companyType', value: 3 }] }), { queryCount: 11 });
    assert.deepEqual(await at.Companies.count({ filter: [] }), { queryCount: 0 });
  });

  let companyId;
  await check('create and get: PascalCase input, 200 {itemId}, {item} back', async () => {
    const created = await at.Companies.create({
      CompanyName: 'Acme Test', CompanyType: 1, Phone: '555-0100', OwnerResourceID: OWNER, isActive: true,
    });
    companyId = created.itemId;
    assert.ok(Number.isInteger(companyId));
    const { item } = await at.Companies.get(companyId);
    assert.equal(item.companyName, 'Acme Test');
    assert.equal(item.phone, '555-0100');
    assert.deepEqual(await at.Companies.get(99999999), { item: null });
  });

  await check('update and replace: PATCH merges, PUT nulls what is left out', async () => {
    assert.deepEqual(await at.Companies.update({ id: companyId, phone: '555-0199', city: 'Springfield' }), { itemId: companyId });
    let { item } = await at.Companies.get(companyId);
    assert.equal(item.phone, '555-0199');
    assert.equal(item.companyName, 'Acme Test');
    await at.Companies.replace({ id: companyId, companyName: 'Acme Replaced', companyType: 1, phone: '', ownerResourceID: OWNER });
    ({ item } = await at.Companies.get(companyId));
    assert.equal(item.companyName, 'Acme Replaced');
    assert.equal(item.city, null);
  });

  let contactId;
  await check('create a contact through the child route, read it back', async () => {
    const ct = await at.CompanyContacts.create(companyId, {
      firstName: 'Ada', lastName: 'Lovelace', emailAddress: 'ada@example.com', isActive: 1,
    });
    contactId = ct.itemId;
    const { item } = await at.Contacts.get(contactId);
    assert.equal(item.companyID, companyId);
    assert.equal(item.isActive, 1);
    const q = await at.Contacts.query({ filter: [{ op: op.endsWith, field: 'emailAddress', value: '@EXAMPLE.com' }] });
    assert.deepEqual(q.items.map((c) => c.id), [contactId]);
    await at.CompanyContacts.update(companyId, { id: contactId, title: 'Countess' });
    assert.equal((await at.Contacts.get(contactId)).item.title, 'Countess');
  });

  await check('every company has a primary location; add another through the child route', async () => {
    const q = await at.CompanyLocations.query({ filter: [{ op: op.eq, field: 'companyID', value: companyId }] });
    assert.equal(q.items.length, 1);
    assert.equal(q.items[0].isPrimary, true);
    const loc = await at.CompanyLocations.create(companyId, { name: 'Branch', city: 'Shelbyville' });
    assert.ok(Number.isInteger(loc.itemId));
  });

  await check('create a configuration item from a product', async () => {
    const products = await at.Products.query({ filter: [{ op: op.eq, field: 'manufacturerName', value: 'Dell' }] });
    assert.equal(products.items.length, 1);
    assert.equal(products.items[0].manufacturerProductName, 'OptiPlex 7090');
    const product = await at.Products.create({
      name: 'Lenovo ThinkPad T14', isActive: true, isSerialized: true, productBillingCodeID: 29682833,
      manufacturerName: 'Lenovo', manufacturerProductName: 'ThinkPad T14',
    });
    const ci = await at.ConfigurationItems.create({
      companyID: companyId, productID: product.itemId, isActive: true, configurationItemType: 2,
      referenceTitle: 'LT-01', serialNumber: 'SN123', installDate: '2024-01-01T00:00:00Z',
    });
    const { item } = await at.ConfigurationItems.get(ci.itemId);
    assert.equal(item.productID, product.itemId);
    assert.equal(item.referenceTitle, 'LT-01');
    const byProduct = await at.ConfigurationItems.count({ filter: [{ op: op.eq, field: 'productID', value: product.itemId }] });
    assert.deepEqual(byProduct, { queryCount: 1 });
  });

  await check('metadata: entityInformation and fields with string picklist values', async () => {
    const { info } = await at.Companies.info();
    assert.equal(info.canCreate, true);
    assert.equal(info.canDelete, false);
    const { fields } = await at.Companies.fieldInfo();
    const type = fields.find((f) => f.name === 'companyType');
    assert.equal(type.isPickList, true);
    assert.equal(type.isRequired, true);
    assert.ok(type.picklistValues.some((v) => v.value === '1' && v.label === 'Customer'));
    const ciType = (await at.ConfigurationItems.fieldInfo()).fields.find((f) => f.name === 'configurationItemType');
    assert.ok(ciType.picklistValues.length > 0);
  });

  await check('error: a missing required field is 500 {"errors": [...]}', async () => {
    const err = await expectReject(at.Companies.create({ companyName: 'No Owner', companyType: 1, phone: '' }));
    assert.equal(err.status, 500);
    assert.match(err.details.errors[0], /ownerResourceID/);
  });

  await check('error: an API-only resource may not own a company', async () => {
    const err = await expectReject(at.Companies.create({ companyName: 'Bad Owner', companyType: 1, phone: '', ownerResourceID: API_ONLY }));
    assert.equal(err.status, 500);
    assert.match(err.details.errors[0], /API-only/);
  });

  await check('error: companies cannot be deleted (405), a bad filter field is 500', async () => {
    const err = await expectReject(at.Companies.delete(companyId));
    assert.equal(err.status, 405);
    assert.match(err.details.Message, /does not support http method 'DELETE'/);
    const bad = await expectReject(at.Companies.query({ filter: [{ op: op.eq, field: 'noSuchField', value: 1 }] }));
    assert.equal(bad.status, 500);
    assert.equal(bad.details.errors[0], 'Unable to find noSuchField in the Company Entity');
  });

  await check('error: a wrong secret is 401, a wrong integration code is 500', async () => {
    const wrongSecret = new AutotaskRestApi(USER, 'nope', CODE, { base_url });
    const e401 = await expectReject(wrongSecret.Companies.get(0));
    assert.equal(e401.status, 401);
    const wrongCode = new AutotaskRestApi(USER, SECRET, 'NOPE', { base_url });
    const e500 = await expectReject(wrongCode.Companies.get(0));
    assert.equal(e500.status, 500);
    assert.deepEqual(e500.details, { errors: ['IntegrationCode is invalid.'] });
  });

  await check('child delete: a contact can be deleted through its company', async () => {
    assert.deepEqual(await at.CompanyContacts.delete(companyId, contactId), { itemId: contactId });
    assert.deepEqual(await at.Contacts.get(contactId), { item: null });
  });

  summary('@apigrate/autotask-restapi');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
