// blobferry on Azure: one resource group with the Function App (Flex Consumption, Node 22), its
// storage, identity, Key Vault, monitoring and Durable backend; role assignments on the storage
// accounts it copies from and to; an Event Grid subscription for mirroring. `azd up` deploys it
// (docs/deploy.md). Settings the app reads are cross-checked by test/unit/infraSettings.test.ts.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; with the subscription and location it makes resource names unique.')
param environmentName string

@minLength(1)
@description('Region of every resource (one where Flex Consumption is offered).')
@metadata({ azd: { type: 'location' } })
param location string

@description('Resource group to create or use; empty: rg-<environmentName>.')
param resourceGroupName string = ''

@description('Object id of the person running azd (AZURE_PRINCIPAL_ID): may put copy jobs on the queue and read job summaries. Empty: no one.')
param operatorPrincipalId string = ''

@allowed(['azureStorage', 'durableTaskScheduler'])
@description('Where Durable Functions keeps orchestration state: the app storage account (tables, queues, blobs) or a Durable Task Scheduler.')
param durableBackend string = 'azureStorage'

@allowed(['Consumption', 'Dedicated'])
@description('Durable Task Scheduler SKU (durableBackend durableTaskScheduler only).')
param dtsSkuName string = 'Consumption'

@minValue(1)
@description('Capacity units of a Dedicated Durable Task Scheduler.')
param dtsCapacity int = 1

@description('Resource ids of storage accounts blobferry copies from with its own identity (Storage Blob Data Reader).')
param sourceStorageAccountIds array = []

@description('Resource ids of storage accounts blobferry writes to with its own identity (Storage Blob Data Contributor).')
param destinationStorageAccountIds array = []

@description('BLOBFERRY_ACCESS_POLICY: [{"read": url} | {"write": url}], where the identity may serve remote callers (docs/security.md). Default: nowhere.')
param accessPolicy array = []

@description('Resource id of the storage account whose BlobCreated events start mirror copies; empty: no Event Grid topic.')
param mirrorSourceAccountId string = ''

@description('BLOBFERRY_MIRROR_RULES: [{"source": url, "destination": url, "options": {...}}]. Rules on mirrorSourceAccountId also filter the events.')
param mirrorRules array = []

@description('Subscribe blobCreated to the events: true once the app is deployed (the azd postdeploy hook sets it), since Event Grid checks that the function exists.')
param mirrorSubscriptionEnabled bool = false

@minValue(40)
@maxValue(1000)
@description('Flex Consumption: the most instances the app scales out to.')
param maximumInstanceCount int = 100

@allowed([512, 2048, 4096])
@description('Flex Consumption: memory of each instance, in MB.')
param instanceMemoryMB int = 2048

@description('True once the seal key secret exists (the azd postprovision hook sets it): later provisions never replace the key.')
param sealKeyCreated bool = false

@description('A version of the seal key secret that still opens older copies while they finish (BLOBFERRY_SEAL_KEYS_PREVIOUS); empty: none. docs/deploy.md, "Rotating the seal key".')
param sealKeyPreviousVersion string = ''

var token = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var names = {
  functionApp: 'func-blobferry-${token}'
  identity: 'id-blobferry-${token}'
  plan: 'plan-blobferry-${token}'
  storage: 'stbf${token}'
  logs: 'log-blobferry-${token}'
  insights: 'appi-blobferry-${token}'
  keyVault: 'kv-bf-${token}'
  scheduler: 'dts-blobferry-${token}'
}
// The app's names for its queue and results container (src/functions/copyJobs.ts,
// src/storage/appStorage.ts); the app settings below say them again so both always agree.
var jobsQueue = 'copy-jobs'
var resultsContainer = 'copy-results'
var deploymentContainer = 'app-package-${take(names.functionApp, 32)}-${take(token, 7)}'
// One task hub name for both backends: the one host.json gives.
var taskHubName = loadJsonContent('../host.json').extensions.durableTask.hubName

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
  location: location
  tags: tags
}

module identity 'br/public:avm/res/managed-identity/user-assigned-identity:0.4.1' = {
  name: 'identity'
  scope: rg
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module plan 'br/public:avm/res/web/serverfarm:0.1.1' = {
  name: 'plan'
  scope: rg
  params: {
    name: names.plan
    sku: {
      name: 'FC1'
      tier: 'FlexConsumption'
    }
    reserved: true
    location: location
    tags: tags
  }
}

module storage 'br/public:avm/res/storage/storage-account:0.8.3' = {
  name: 'storage'
  scope: rg
  params: {
    name: names.storage
    location: location
    tags: tags
    skuName: 'Standard_LRS'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    dnsEndpointType: 'Standard'
    minimumTlsVersion: 'TLS1_2'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    blobServices: {
      containers: [
        { name: deploymentContainer }
        { name: resultsContainer }
      ]
    }
    queueServices: {
      queues: [
        { name: jobsQueue }
        { name: '${jobsQueue}-poison' }
      ]
    }
  }
}

module logs 'br/public:avm/res/operational-insights/workspace:0.11.1' = {
  name: 'logs'
  scope: rg
  params: {
    name: names.logs
    location: location
    tags: tags
    dataRetention: 30
  }
}

module insights 'br/public:avm/res/insights/component:0.6.0' = {
  name: 'insights'
  scope: rg
  params: {
    name: names.insights
    location: location
    tags: tags
    workspaceResourceId: logs.outputs.resourceId
    disableLocalAuth: true
  }
}

module sealKey 'app/sealKey.bicep' = {
  name: 'sealKey'
  scope: rg
  params: {
    name: names.keyVault
    location: location
    tags: tags
    identityPrincipalId: identity.outputs.principalId
    createKey: !sealKeyCreated
    previousVersion: sealKeyPreviousVersion
  }
}

module scheduler 'app/durableTaskScheduler.bicep' = if (durableBackend == 'durableTaskScheduler') {
  name: 'scheduler'
  scope: rg
  params: {
    name: names.scheduler
    location: location
    tags: tags
    taskHubName: taskHubName
    skuName: dtsSkuName
    capacity: dtsCapacity
    identityPrincipalId: identity.outputs.principalId
  }
}

module appStorageRoles 'app/appStorageRoles.bicep' = {
  name: 'appStorageRoles'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    insightsName: insights.outputs.name
    identityPrincipalId: identity.outputs.principalId
    operatorPrincipalId: operatorPrincipalId
    jobsQueue: jobsQueue
    resultsContainer: resultsContainer
  }
}

module functionApp 'app/functionApp.bicep' = {
  name: 'functionApp'
  scope: rg
  params: {
    name: names.functionApp
    location: location
    tags: tags
    planId: plan.outputs.resourceId
    storageAccountName: storage.outputs.name
    deploymentContainer: deploymentContainer
    identityId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    insightsName: insights.outputs.name
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    sealKeyReference: sealKey.outputs.reference
    previousSealKeyReference: sealKey.outputs.previousReference
    jobsQueue: jobsQueue
    resultsContainer: resultsContainer
    accessPolicy: accessPolicy
    mirrorRules: mirrorRules
    schedulerEndpoint: durableBackend == 'durableTaskScheduler' ? scheduler!.outputs.endpoint : ''
  }
  // Settings reference the roles: the app must not start before it may read its storage and key.
  dependsOn: [appStorageRoles]
}

// Role assignments on accounts that may live in other resource groups or subscriptions: one
// module per account, deployed where the account is.
module sourceRoles 'app/accountRole.bicep' = [for id in sourceStorageAccountIds: {
  name: 'source-${uniqueString(id)}'
  scope: resourceGroup(split(id, '/')[2], split(id, '/')[4])
  params: {
    storageAccountName: last(split(id, '/'))
    principalId: identity.outputs.principalId
    role: 'Storage Blob Data Reader'
  }
}]

module destinationRoles 'app/accountRole.bicep' = [for id in destinationStorageAccountIds: {
  name: 'destination-${uniqueString(id)}'
  scope: resourceGroup(split(id, '/')[2], split(id, '/')[4])
  params: {
    storageAccountName: last(split(id, '/'))
    principalId: identity.outputs.principalId
    role: 'Storage Blob Data Contributor'
  }
}]

module mirror 'app/mirror.bicep' = if (!empty(mirrorSourceAccountId)) {
  name: 'mirror'
  scope: resourceGroup(split(mirrorSourceAccountId, '/')[2], split(mirrorSourceAccountId, '/')[4])
  params: {
    storageAccountName: last(split(mirrorSourceAccountId, '/'))
    tags: tags
    mirrorRules: mirrorRules
    functionAppId: functionApp.outputs.id
    subscribe: mirrorSubscriptionEnabled
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_URL string = functionApp.outputs.url
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_KEY_VAULT_NAME string = sealKey.outputs.vaultName
output AZURE_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output BLOBFERRY_JOBS_QUEUE string = jobsQueue
output BLOBFERRY_RESULTS_CONTAINER string = resultsContainer
output MIRROR_ENABLED bool = !empty(mirrorSourceAccountId)
