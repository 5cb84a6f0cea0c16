// The HubSpot project's config, parsed by HubSpot's own parser (offline: its schema check needs
// HubSpot's API, so structure only) plus our checks on the fields that matter. Scopes are compared
// with the backend's REQUIRED_SCOPES in tests/unit/test_crm_cards_config.py.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isKnownPlatformVersion, parseProjectConfig } from '@hubspot/project-parsing-lib/projects';
import { translate } from '@hubspot/project-parsing-lib/translate';
import { validateUid } from '@hubspot/project-parsing-lib/uid';
import { describe, expect, it } from 'vitest';
import { BACKEND_URL } from '../backend.js';

const cardsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const projectDir = path.resolve(cardsDir, '../../..');

async function parsed() {
  const project = parseProjectConfig(projectDir);
  const { intermediateRepresentation, skippedHsMetaFiles } = await translate(
    { projectSourceDir: path.join(projectDir, project.srcDir), platformVersion: project.platformVersion },
    { skipValidation: true }
  );
  const nodes = Object.values(intermediateRepresentation.intermediateNodesIndexedByUid);
  return { project, nodes, skippedHsMetaFiles };
}

describe('HubSpot project config', () => {
  it('is a 2026.03 project HubSpot can parse, with no skipped file', async () => {
    const { project, nodes, skippedHsMetaFiles } = await parsed();
    expect(project.platformVersion).toBe('2026.03');
    expect(isKnownPlatformVersion(project.platformVersion)).toBe(true);
    expect(skippedHsMetaFiles).toEqual([]);
    for (const node of nodes) expect(validateUid(node.uid)).toBeFalsy();
  });

  it('declares one marketplace app with OAuth and https-only backend URLs', async () => {
    const { nodes } = await parsed();
    const apps = nodes.filter((n) => n.componentType === 'APPLICATION');
    expect(apps).toHaveLength(1);
    const { config } = apps[0];
    expect(config.distribution).toBe('marketplace');
    expect(config.auth.type).toBe('oauth');
    const urls = [...config.auth.redirectUrls, ...config.permittedUrls.fetch];
    for (const url of urls) {
      const parsedUrl = new URL(url);
      expect(parsedUrl.protocol).toBe('https:');
      expect(['localhost', '127.0.0.1']).not.toContain(parsedUrl.hostname);
    }
    expect(config.support.supportEmail).toMatch(/@/);
  });

  it("lets the cards fetch from the backend they call", async () => {
    const { nodes } = await parsed();
    const { config } = nodes.find((n) => n.componentType === 'APPLICATION');
    expect(config.permittedUrls.fetch.some((allowed) => `${BACKEND_URL}/card/orders`.startsWith(allowed))).toBe(true);
  });

  it('puts a contacts card in the sidebar and a wider one in a tab, each with an existing entrypoint', async () => {
    const { nodes } = await parsed();
    const cards = nodes.filter((n) => n.componentType === 'CARD');
    expect(cards.map((c) => c.config.location).sort()).toEqual(['crm.record.sidebar', 'crm.record.tab']);
    for (const card of cards) {
      expect(card.config.objectTypes).toEqual(['contacts']);
      expect(card.componentDeps.app).toBe('moulin_hubspot_app');
      const entry = path.join(projectDir, 'src', card.config.entrypoint);
      expect(fs.existsSync(entry)).toBe(true);
      expect(fs.readFileSync(entry, 'utf8')).toContain('hubspot.extend(');
    }
  });
});
