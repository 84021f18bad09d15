// Mirroring (src/functions/blobCreated.ts): an Event Grid system topic on the source account and,
// once the app is deployed, a subscription delivering Microsoft.Storage.BlobCreated events to the
// blobCreated function, filtered to the prefixes of the mirror rules on this account. The
// function checks every event against the rules again; the filter only spares deliveries.
param storageAccountName string
param tags object
param mirrorRules array
param functionAppId string

@description('Create the subscription: Event Grid refuses one to a function that is not deployed yet.')
param subscribe bool

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

var blobHost = toLower('${storageAccountName}.blob.${environment().suffixes.storage}')
// A rule's source URL without its SAS, split: ['https:', '', host, container, ...prefix segments].
var sources = map(mirrorRules, rule => split(split(rule.source, '?')[0], '/'))
var onThisAccount = filter(sources, parts => length(parts) > 3 && toLower(parts[2]) == blobHost)
// Event subjects are /blobServices/default/containers/<container>/blobs/<name>. A prefix is
// matched as the app matches it: up to a "/" (incoming/ but not incoming-old/).
var subjectPrefixes = map(onThisAccount, parts => '/blobServices/default/containers/${parts[3]}/blobs/${join(skip(parts, 4), '/')}${empty(join(skip(parts, 4), '/')) || endsWith(join(skip(parts, 4), '/'), '/') ? '' : '/'}')

// An account has at most one system topic: if it already has one, see docs/deploy.md.
resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: 'evgt-${storageAccountName}'
  location: account.location
  tags: tags
  properties: {
    source: account.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource blobCreated 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = if (subscribe && !empty(subjectPrefixes)) {
  parent: topic
  name: 'blobferry-blob-created'
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${functionAppId}/functions/blobCreated'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: ['Microsoft.Storage.BlobCreated']
      // At most 25 values across a subscription's advanced filters: 25 rules on one account.
      advancedFilters: [
        {
          operatorType: 'StringBeginsWith'
          key: 'subject'
          values: subjectPrefixes
        }
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

output topicName string = topic.name
