// Drives the real npm `connectwise-rest` library, unmodified, against `mock-psa serve --tls`.
// The library hard-codes `https://${companyUrl}/...`, so it talks to the mock's HTTPS listener;
// the Rust test passes the mock's CA in NODE_EXTRA_CA_CERTS so certificates are verified.
//
// Env: MOCK_HTTPS_PORT (the HTTPS listener), MOCK_ADMIN_URL (plain-HTTP admin API).
'use strict';
const assert = require('node:assert/strict');
const { ManageAPI } = require('connectwise-rest');
const { check, summary, admin, expectReject } = require('./support');

const port = process.env.MOCK_HTTPS_PORT;
const adminUrl = process.env.MOCK_ADMIN_URL;
assert.ok(port && adminUrl, 'MOCK_HTTPS_PORT and MOCK_ADMIN_URL must be set');

const options = {
  companyId: 'acme',
  companyUrl: `127.0.0.1:${port}`,
  publicKey: 'public',
  privateKey: 'private',
  clientId: 'psa-conformance-tests',
  logger: () => {},
};
const cwm = new ManageAPI(options);
const { CompanyAPI, ProcurementAPI, SystemAPI } = cwm;

(async () => {
  // 60 companies: more than two pages at any page size used below.
  const names = Array.from({ length: 60 }, (_, i) => `Paged Co ${String(i + 1).padStart(3, '0')}`);
  await admin(adminUrl, 'POST', '/seed', {
    companies: names.map((name, i) => ({
      name,
      short_name: `PAGED${i + 1}`,
      type: i % 3 === 0 ? 'Prospect' : 'Customer',
      status: 'Active',
    })),
  });

  await check('list: the first page has the default 25 companies, ordered by id', async () => {
    const page = await CompanyAPI.getCompanyCompanies();
    assert.equal(page.length, 25);
    const ids = page.map((c) => c.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    assert.equal(page[0].name, 'Paged Co 001');
    assert.equal(page[0].status.name, 'Active');
    assert.match(page[0]._info.contacts_href, /company\/contacts\?conditions=company\/id=/);
  });

  await check('filter: conditions with like, and, nested paths and in', async () => {
    const nine = await CompanyAPI.getCompanyCompanies({ conditions: 'name like "Paged Co 00%"' });
    assert.deepEqual(nine.map((c) => c.name), names.slice(0, 9));
    const prospects = await CompanyAPI.getCompanyCompanies({
      conditions: 'types/name = "Prospect" and status/name = "Active" and identifier in ("PAGED1", "PAGED4", "PAGED5")',
    });
    assert.deepEqual(prospects.map((c) => c.identifier), ['PAGED1', 'PAGED4']);
    const none = await CompanyAPI.getCompanyCompanies({ conditions: 'name contains "no such company"' });
    assert.deepEqual(none, []);
  });

  await check('paginate: the library helper walks 7 pages of 9 and stops on the short page', async () => {
    const all = await cwm.paginate(
      CompanyAPI.getCompanyCompanies,
      { startPage: 1, pageSize: 9 },
      { conditions: 'name like "Paged Co%"', orderBy: 'name desc' },
    );
    assert.equal(all.length, 60);
    assert.deepEqual(all.map((c) => c.name), [...names].reverse());
  });

  await check('count: /count honours conditions', async () => {
    assert.deepEqual(await CompanyAPI.getCompanyCompaniesCount({ conditions: 'name like "Paged%"' }), { count: 60 });
    assert.deepEqual(await CompanyAPI.getCompanyCompaniesCount({ conditions: 'types/name = "Prospect"' }), { count: 20 });
  });

  let company;
  await check('create: POST company with references by name and a new site gives 201 + entity', async () => {
    company = await CompanyAPI.postCompanyCompanies({
      identifier: 'NewCo',
      name: 'New Co',
      status: { name: 'Active' },
      types: [{ name: 'Customer' }],
      site: { name: 'Main' },
      phoneNumber: '555-0100',
    });
    assert.ok(Number.isInteger(company.id));
    assert.equal(company.identifier, 'NewCo');
    assert.equal(company.types[0].name, 'Customer');
    assert.equal(company.site.name, 'Main');
    assert.equal(company.addressLine2, undefined, 'nulls are omitted');
  });

  await check('get: by id, with fields projection', async () => {
    const got = await CompanyAPI.getCompanyCompaniesById(company.id);
    assert.equal(got.name, 'New Co');
    const slim = await CompanyAPI.getCompanyCompaniesById(company.id, { fields: 'id,name,status/name' });
    assert.deepEqual(slim, { id: company.id, name: 'New Co', status: { name: 'Active' } });
  });

  await check('patch and put: bare paths, full record back', async () => {
    const patched = await CompanyAPI.patchCompanyCompaniesById(company.id, [
      { op: 'replace', path: 'name', value: 'Renamed Co' },
      { op: 'add', path: 'website', value: 'https://renamed.example' },
    ]);
    assert.equal(patched.name, 'Renamed Co');
    assert.equal(patched.phoneNumber, '555-0100', 'untouched fields stay');
    const put = await CompanyAPI.putCompanyCompaniesById(company.id, {
      identifier: 'NewCo',
      name: 'Renamed Co',
      status: { id: patched.status.id },
    });
    assert.equal(put.phoneNumber, undefined, 'PUT resets omitted fields');
    assert.equal(put.website, undefined);
  });

  let contact;
  await check('create a contact with communication items, find it by childConditions', async () => {
    contact = await CompanyAPI.postCompanyContacts({
      firstName: 'Jo',
      lastName: 'Doe',
      company: { identifier: 'NewCo' },
      communicationItems: [{ type: { name: 'Email' }, value: 'jo@example.com', defaultFlag: true }],
    });
    assert.equal(contact.company.id, company.id);
    assert.equal(contact.communicationItems[0].communicationType, 'Email');
    const found = await CompanyAPI.getCompanyContacts({
      childConditions: 'communicationItems/value = "jo@example.com" AND communicationItems/communicationType = "Email"',
    });
    assert.deepEqual(found.map((c) => c.id), [contact.id]);
    const none = await CompanyAPI.getCompanyContacts({
      childConditions: 'communicationItems/value = "jo@example.com" AND communicationItems/communicationType = "Phone"',
    });
    assert.deepEqual(none, []);
  });

  await check('contact communications sub-resource: add, list, count, patch, delete', async () => {
    const types = await CompanyAPI.getCompanyCommunicationTypes({ conditions: 'phoneFlag = true' });
    const direct = types.find((t) => t.description === 'Direct');
    assert.ok(direct, 'Direct communication type is seeded');
    const item = await CompanyAPI.postCompanyContactsByParentIdCommunications(contact.id, {
      type: { id: direct.id },
      value: '555-0101',
      defaultFlag: true,
    });
    assert.equal(item.contactId, contact.id);
    assert.equal(item.communicationType, 'Phone');
    const items = await CompanyAPI.getCompanyContactsByParentIdCommunications(contact.id);
    assert.deepEqual(items.map((i) => i.value), ['jo@example.com', '555-0101']);
    const again = await CompanyAPI.getCompanyContactsById(contact.id);
    assert.equal(again.communicationItems.length, 2);
    assert.deepEqual(await CompanyAPI.getCompanyContactsByParentIdCommunicationsCount(contact.id), { count: 2 });
    const patched = await CompanyAPI.patchCompanyContactsByParentIdCommunicationsById(item.id, contact.id, [
      { op: 'replace', path: 'value', value: '555-0199' },
    ]);
    assert.equal(patched.value, '555-0199');
    await CompanyAPI.deleteCompanyContactsByParentIdCommunicationsById(item.id, contact.id);
    assert.deepEqual(await CompanyAPI.getCompanyContactsByParentIdCommunicationsCount(contact.id), { count: 1 });
  });

  await check('lookups: company types and statuses, contact types, configuration types and statuses, manufacturers', async () => {
    const companyTypes = await CompanyAPI.getCompanyCompaniesTypes();
    assert.ok(companyTypes.some((t) => t.name === 'Customer'));
    const statuses = await CompanyAPI.getCompanyCompaniesStatuses({ conditions: 'inactiveFlag = false' });
    assert.ok(statuses.every((s) => s.inactiveFlag === false));
    const contactTypes = await CompanyAPI.getCompanyContactsTypes();
    assert.ok(contactTypes.length > 0);
    const configTypes = await CompanyAPI.getCompanyConfigurationsTypes();
    assert.ok(configTypes.some((t) => t.name === 'Workstation'));
    assert.deepEqual(await CompanyAPI.getCompanyConfigurationsTypesCount(), { count: configTypes.length });
    const makers = await ProcurementAPI.getProcurementManufacturers({ conditions: 'name = "Dell"' });
    assert.equal(makers.length, 1);
  });

  await check('create a configuration with type, status and manufacturer references', async () => {
    const config = await CompanyAPI.postCompanyConfigurations({
      name: 'PC-1',
      type: { name: 'Workstation' },
      status: { name: 'Active' },
      company: { id: company.id },
      manufacturer: { name: 'Dell' },
      modelNumber: 'OptiPlex 7090',
      serialNumber: 'SN-1',
    });
    assert.equal(config.type.name, 'Workstation');
    assert.equal(config.manufacturer.name, 'Dell');
    assert.match(config.type._info.type_href, /company\/configurations\/types\//);
    const listed = await CompanyAPI.getCompanyConfigurations('', { conditions: `company/id = ${company.id}` });
    assert.deepEqual(listed.map((c) => c.name), ['PC-1']);
  });

  await check('system info answers', async () => {
    const info = await SystemAPI.getSystemInfo();
    assert.equal(typeof info.version, 'string');
    assert.equal(typeof info.isCloud, 'boolean');
  });

  await check('error: missing identifier is 400 InvalidObject / MissingRequiredField', async () => {
    const err = await expectReject(CompanyAPI.postCompanyCompanies({ name: 'No Identifier' }));
    assert.equal(err.status, 400);
    assert.equal(err.data.code, 'InvalidObject');
    assert.equal(err.data.errors[0].code, 'MissingRequiredField');
    assert.equal(err.data.errors[0].field, 'identifier');
  });

  await check('error: unknown member is 400 ConnectWiseApi', async () => {
    const err = await expectReject(CompanyAPI.postCompanyContacts({ firstName: 'X', type: 'x' }));
    assert.equal(err.status, 400);
    assert.equal(err.data.code, 'ConnectWiseApi');
    assert.match(err.data.message, /Could not find member 'type' on object of type 'Contact'/);
  });

  await check('error: malformed conditions is 400, unknown id is 404', async () => {
    const bad = await expectReject(CompanyAPI.getCompanyCompanies({ conditions: 'name = unquoted' }));
    assert.equal(bad.status, 400);
    assert.match(bad.data.message, /Strings must be quoted/);
    const missing = await expectReject(CompanyAPI.getCompanyCompaniesById(999999));
    assert.equal(missing.status, 404);
    assert.equal(missing.data.code, 'NotFound');
  });

  await check('error: wrong private key is 401', async () => {
    const wrong = new ManageAPI({ ...options, privateKey: 'wrong' });
    const err = await expectReject(wrong.CompanyAPI.getCompanyCompanies());
    assert.equal(err.status, 401);
    assert.equal(err.data.message, 'UserNotAuthenticated');
  });

  await check('delete: 204, then 404', async () => {
    const victim = await CompanyAPI.postCompanyCompanies({ identifier: 'Gone', name: 'Gone Co' });
    await CompanyAPI.deleteCompanyCompaniesById(victim.id);
    const err = await expectReject(CompanyAPI.getCompanyCompaniesById(victim.id));
    assert.equal(err.status, 404);
  });

  summary('connectwise-rest');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
