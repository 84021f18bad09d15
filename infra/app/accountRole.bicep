// One role for the app's identity on a storage account it copies from or to, deployed in the
// account's own resource group. Readers get Storage Blob Data Reader (which also lets the identity
// ask for the user delegation key a server-side copy's source SAS is signed with); writers get
// Storage Blob Data Contributor. Nothing on queues, tables, files or the account's keys.
param storageAccountName string
param principalId string

@allowed(['Storage Blob Data Reader', 'Storage Blob Data Contributor'])
param role string

var roleIds = {
  'Storage Blob Data Reader': '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
}

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, principalId, roleIds[role])
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds[role])
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
