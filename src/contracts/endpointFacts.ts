/**
 * What an endpoint says about itself: the capability facts the strategy table (src/plan/strategy.ts),
 * inspection and the orchestrators reason with. src/storage/ works them out; nothing else asks
 * what kind of place a location is.
 */

/** An Azure storage account's blob service. */
export interface AccountFacts {
  /** scheme://host:port of the service (an Azurite instance serves every account on one origin). */
  origin: string;
  name: string;
  /** The read-only secondary endpoint of a geo-redundant account. */
  secondary?: boolean;
}

export interface SourceFacts {
  /** Words for messages: "the Azure blob source", "the S3 source", "the HTTP source". */
  noun: string;
  /** The place can be listed: a container, bucket or prefix, not only one object. */
  listable: boolean;
  /** A local directory: without --recursive, its own files are copied (and not what is in its subdirectories). */
  shallowWithoutRecursive?: boolean;
  /** The object name or prefix the location names ('' for a whole container or bucket). */
  path: string;
  /** The destination service can be handed a URL to read the source by itself (Copy Blob, Put Block From URL). */
  servesUrl: boolean;
  /** Why no cloud service could reach that URL (plain http, loopback, private network); absent when one can. */
  privateBecause?: string;
  /** An Azure Blob source: the account it lives in ("same account", "same Azurite instance"). */
  account?: AccountFacts;
  /** An Azure Blob source: its container's identity (a secondary shares its primary's), to refuse copying a thing onto itself. */
  container?: string;
  /** Copy Blob and Copy Blob From URL carry the source's properties, metadata and type over by themselves (Azure blob sources only). */
  serviceCopiesProperties: boolean;
}

export interface DestinationFacts {
  /** An Azure destination's account (a local disk has none). */
  account?: AccountFacts;
  /** The destination's service reads a source by URL itself (Put Block From URL, Copy Blob); a local disk does not. */
  readsUrls: boolean;
  /** It keeps a Content-MD5, and checks each block's MD5 as it is staged (Azure); a local file does neither. */
  storesMd5: boolean;
  /** The container's identity, comparable with SourceFacts.container. */
  container: string;
  /** Blob name or prefix the location names. */
  path: string;
  /** Azurite: it reads no URL outside its own instance. */
  emulator: boolean;
}
