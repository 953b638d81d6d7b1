/**
 * The ACLs a broker holds in memory, indexed so that a check looks at only the ACLs that can cover
 * the resource: per resource type, LITERAL ACLs by name (the `*` wildcard among them) and the
 * PREFIXED ones in a list. Fed by the metadata store's watch; checks never reach the store.
 */
import { aclKey } from './acl-records.js';
import { PatternType, WILDCARD, type AclBinding } from './acl-types.js';

interface TypeSection {
  readonly literal: Map<string, Map<string, AclBinding>>;
  readonly prefixed: Map<string, AclBinding>;
}

export class AclIndex {
  private readonly byKey = new Map<string, AclBinding>();
  private readonly sections = new Map<number, TypeSection>();

  get size(): number {
    return this.byKey.size;
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  all(): IterableIterator<AclBinding> {
    return this.byKey.values();
  }

  put(binding: AclBinding): void {
    const key = aclKey(binding);
    if (this.byKey.has(key)) return;
    this.byKey.set(key, binding);
    const section = this.section(binding.resourceType);
    if (binding.patternType === PatternType.PREFIXED) {
      section.prefixed.set(key, binding);
    } else {
      let named = section.literal.get(binding.resourceName);
      if (!named) section.literal.set(binding.resourceName, (named = new Map()));
      named.set(key, binding);
    }
  }

  remove(key: string): void {
    const binding = this.byKey.get(key);
    if (!binding) return;
    this.byKey.delete(key);
    const section = this.section(binding.resourceType);
    if (binding.patternType === PatternType.PREFIXED) {
      section.prefixed.delete(key);
    } else {
      const named = section.literal.get(binding.resourceName);
      named?.delete(key);
      if (named?.size === 0) section.literal.delete(binding.resourceName);
    }
  }

  /** The ACLs of this type whose pattern may cover `name` (exact literal, `*`, every prefixed one: the matcher filters). */
  *covering(resourceType: number, name: string): Generator<AclBinding> {
    const section = this.sections.get(resourceType);
    if (!section) return;
    const exact = section.literal.get(name);
    if (exact) yield* exact.values();
    if (name !== WILDCARD) {
      const wild = section.literal.get(WILDCARD);
      if (wild) yield* wild.values();
    }
    for (const acl of section.prefixed.values()) if (name.startsWith(acl.resourceName)) yield acl;
  }

  /** Every ACL of one resource type. */
  ofType(resourceType: number): AclBinding[] {
    const section = this.sections.get(resourceType);
    if (!section) return [];
    const out: AclBinding[] = [];
    for (const named of section.literal.values()) out.push(...named.values());
    out.push(...section.prefixed.values());
    return out;
  }

  private section(resourceType: number): TypeSection {
    let s = this.sections.get(resourceType);
    if (!s) this.sections.set(resourceType, (s = { literal: new Map(), prefixed: new Map() }));
    return s;
  }
}
