// The Function App: Flex Consumption, Node 22, the user-assigned identity for everything (host
// storage, deployment package, Key Vault references, Durable backend, the app's own SDK calls).
// Every app setting is in a `var ...Settings` object below: test/unit/infraSettings.test.ts reads
// them and checks them against what the app reads.
param name string
param location string
param tags object
param planId string
param storageAccountName string
param deploymentContainer string
param identityId string
param identityClientId string
param insightsName string
param maximumInstanceCount int
param instanceMemoryMB int
param sealKeyReference string
param previousSealKeyReference string
param jobsQueue string
param resultsContainer string
param accessPolicy array
param mirrorRules array
@description('The Durable Task Scheduler endpoint; empty: the Azure Storage backend.')
param schedulerEndpoint string

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource insights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: insightsName
}

// AzureWebJobsStorage as an identity-based connection: the host, the copy-jobs trigger and
// Durable's Azure Storage backend use it, and so does the app (src/storage/appStorage.ts).
var storageSettings = {
  AzureWebJobsStorage__accountName: storage.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
}

// The app's DefaultAzureCredential (@azure/identity) takes the user-assigned identity from this.
var identitySettings = {
  AZURE_CLIENT_ID: identityClientId
}

var monitoringSettings = {
  APPLICATIONINSIGHTS_CONNECTION_STRING: insights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

var blobferrySettings = {
  BLOBFERRY_SEAL_KEY: sealKeyReference
  BLOBFERRY_JOBS_QUEUE: jobsQueue
  BLOBFERRY_RESULTS_CONTAINER: resultsContainer
  BLOBFERRY_ACCESS_POLICY: string(accessPolicy)
  BLOBFERRY_MIRROR_RULES: string(mirrorRules)
}

var previousKeySettings = empty(previousSealKeyReference) ? {} : {
  BLOBFERRY_SEAL_KEYS_PREVIOUS: previousSealKeyReference
}

// The Durable Task Scheduler backend without touching host.json (which the local host reads too):
// AzureFunctionsJobHost__<path> settings override host.json values in Azure.
var schedulerSettings = empty(schedulerEndpoint) ? {} : {
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'azureManaged'
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'
  DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${schedulerEndpoint};Authentication=ManagedIdentity;ClientID=${identityClientId}'
}

module site 'br/public:avm/res/web/site:0.15.1' = {
  name: 'site'
  params: {
    kind: 'functionapp,linux'
    name: name
    location: location
    tags: union(tags, { 'azd-service-name': 'api' })
    serverFarmResourceId: planId
    managedIdentities: {
      userAssignedResourceIds: [identityId]
    }
    keyVaultAccessIdentityResourceId: identityId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainer}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
    siteConfig: {
      alwaysOn: false
    }
    appSettingsKeyValuePairs: union(storageSettings, identitySettings, monitoringSettings, blobferrySettings, previousKeySettings, schedulerSettings)
  }
}

output id string = site.outputs.resourceId
output name string = site.outputs.name
output url string = 'https://${site.outputs.defaultHostname}'
