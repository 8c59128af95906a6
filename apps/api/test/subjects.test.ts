import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../src/relay.js';
import { subjectPrefix } from '../src/storage-keys.js';
import { type Harness, startHarness } from './helpers/api-harness.js';

const CREATE = 'mutation($name: String!) { createSubject(input: { displayName: $name }) { subject { id displayName createdAt } errors { __typename code message field } } }';
const PAGE = `query($first: Int, $after: String, $last: Int, $before: String, $filter: SubjectFilter, $orderBy: SubjectOrder) {
  subjects(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
    totalCount edges { cursor node { displayName } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

describe('subjects', () => {
  let h: Harness;
  let key: string;
  beforeAll(async () => {
    h = await startHarness();
    ({ key } = await h.createTenant('Gallery'));
    for (const name of ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret']) {
      const { body } = await h.gql(CREATE, { name }, key);
      expect(body.data.createSubject.errors).toEqual([]);
    }
  });
  afterAll(() => h?.close());

  it('pages newest first with opaque keyset cursors, forwards and backwards', async () => {
    const first = (await h.gql(PAGE, { first: 3 }, key)).body.data.subjects;
    expect(first.totalCount).toBe(7);
    expect(first.edges.map((e: any) => e.node.displayName)).toEqual(['Margaret', 'Donald', 'Barbara']);
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(Buffer.from(first.pageInfo.endCursor, 'base64url').toString()).toMatch(/^cursor:/);

    const second = (await h.gql(PAGE, { first: 3, after: first.pageInfo.endCursor }, key)).body.data.subjects;
    expect(second.edges.map((e: any) => e.node.displayName)).toEqual(['Edsger', 'Alan', 'Grace']);
    const third = (await h.gql(PAGE, { first: 3, after: second.pageInfo.endCursor }, key)).body.data.subjects;
    expect(third.edges.map((e: any) => e.node.displayName)).toEqual(['Ada']);
    expect(third.pageInfo.hasNextPage).toBe(false);

    const back = (await h.gql(PAGE, { last: 2, before: third.pageInfo.startCursor }, key)).body.data.subjects;
    expect(back.edges.map((e: any) => e.node.displayName)).toEqual(['Alan', 'Grace']);
    expect(back.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });

    const oldest = (await h.gql(PAGE, { first: 2, orderBy: 'OLDEST_FIRST' }, key)).body.data.subjects;
    expect(oldest.edges.map((e: any) => e.node.displayName)).toEqual(['Ada', 'Grace']);
  });

  it('searches by name, case-insensitively', async () => {
    const found = (await h.gql(PAGE, { filter: { nameContains: 'AR' } }, key)).body.data.subjects;
    expect(found.edges.map((e: any) => e.node.displayName).sort()).toEqual(['Barbara', 'Margaret']);
    expect(found.totalCount).toBe(2);
  });

  it('rejects bad page arguments and cursors as BAD_USER_INPUT', async () => {
    for (const variables of [{ first: -1 }, { first: 1000 }, { first: 1, last: 1 }, { after: 'garbage' }]) {
      const { body } = await h.gql(PAGE, variables, key);
      expect(body.errors[0].extensions.code, JSON.stringify(variables)).toBe('BAD_USER_INPUT');
    }
  });

  it('validates names with typed errors', async () => {
    for (const name of ['   ', 'x'.repeat(201)]) {
      const { body } = await h.gql(CREATE, { name }, key);
      expect(body.data.createSubject.subject).toBeNull();
      expect(body.data.createSubject.errors).toEqual([
        expect.objectContaining({ __typename: 'InvalidArgument', code: 'INVALID_ARGUMENT', field: ['input', 'displayName'] }),
      ]);
    }
  });

  it('updates, resolves by node id, and deletes a subject with its stored files', async () => {
    const created = (await h.gql(CREATE, { name: 'Temp' }, key)).body.data.createSubject.subject;
    const renamed = await h.gql('mutation($id: ID!) { updateSubject(input: { id: $id, displayName: "Kept" }) { subject { displayName } errors { code } } }', { id: created.id }, key);
    expect(renamed.body.data.updateSubject.subject.displayName).toBe('Kept');
    const node = await h.gql('query($id: ID!) { node(id: $id) { __typename id ... on Subject { displayName } } }', { id: created.id }, key);
    expect(node.body.data.node).toEqual({ __typename: 'Subject', id: created.id, displayName: 'Kept' });

    const row = await h.db.subject.findFirstOrThrow({ where: { displayName: 'Kept' } });
    const stored = `${subjectPrefix(row.tenantId, row.id)}photos/p.jpg`;
    await h.services.storage.put(stored, Buffer.from('jpeg'), { contentType: 'image/jpeg' });
    const deleted = await h.gql('mutation($id: ID!) { deleteSubject(input: { id: $id }) { deletedSubjectId errors { code } } }', { id: created.id }, key);
    expect(deleted.body.data.deleteSubject).toEqual({ deletedSubjectId: created.id, errors: [] });
    expect(await h.db.subject.count({ where: { id: row.id } })).toBe(0);
    expect(await h.services.storage.stat(stored)).toBeUndefined();
  });

  it('never shows one tenant another tenant\'s subjects', async () => {
    const other = await h.createTenant('Other');
    const mine = (await h.gql(PAGE, { first: 1 }, key)).body.data.subjects.edges[0];
    const subjectId = (await h.gql('{ subjects(first: 1) { edges { node { id } } } }', {}, key)).body.data.subjects.edges[0].node.id;
    expect(mine).toBeDefined();
    expect((await h.gql(PAGE, {}, other.key)).body.data.subjects.totalCount).toBe(0);
    expect((await h.gql('query($id: ID!) { subject(id: $id) { id } }', { id: subjectId }, other.key)).body.data.subject).toBeNull();
    expect((await h.gql('query($id: ID!) { node(id: $id) { id } }', { id: subjectId }, other.key)).body.data.node).toBeNull();
    const update = await h.gql('mutation($id: ID!) { updateSubject(input: { id: $id, displayName: "pwned" }) { errors { code } } }', { id: subjectId }, other.key);
    expect(update.body.data.updateSubject.errors).toEqual([{ code: 'NOT_FOUND' }]);
    const del = await h.gql('mutation($id: ID!) { deleteSubject(input: { id: $id }) { errors { code } } }', { id: subjectId }, other.key);
    expect(del.body.data.deleteSubject.errors).toEqual([{ code: 'NOT_FOUND' }]);
    // A well-formed id of the wrong type is not found either.
    const wrongType = toGlobalId('Reconstruction', '00000000-0000-0000-0000-000000000000');
    expect((await h.gql('query($id: ID!) { subject(id: $id) { id } }', { id: wrongType }, key)).body.data.subject).toBeNull();
  });
});
