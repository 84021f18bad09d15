// The seal key (BLOBFERRY_SEAL_KEY, src/storage/seal.ts) in Key Vault: made once at the first
// provision, then left alone so later provisions never change it under running copies. The app
// reads it through Key Vault references with its identity (Key Vault Secrets User); rotation adds
// a new secret version and names the old one as previous (docs/deploy.md).
param name string
param location string
param tags object
param identityPrincipalId string

@description('Make the secret: true on the first provision only.')
param createKey bool

@description('A version of the secret that still opens values sealed before a rotation; empty: none.')
param previousVersion string = ''

// The key: 32 bytes, base64. Bicep has no random bytes, only GUIDs; but hexadecimal digits are
// base64 digits, so 43 of them and one "=" are the base64 text of 32 bytes. The 43 digits are the
// 32 of one GUID and the first 11 of another (before its fixed version digit): 166 random bits.
@secure()
param seedA string = newGuid()
@secure()
param seedB string = newGuid()

var secretName = 'blobferry-seal-key'
var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

resource key 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (createKey) {
  parent: vault
  name: secretName
  properties: {
    value: '${replace(seedA, '-', '')}${take(replace(seedB, '-', ''), 11)}='
    contentType: 'blobferry seal key: 32 bytes, base64'
  }
}

// Secrets User on the secret alone, not the vault: the identity reads this one value.
resource secretRead 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, secretName, identityPrincipalId, keyVaultSecretsUser)
  scope: vaultSecret
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
  dependsOn: [key]
}

// The secret as it exists (made now, or at an earlier provision).
resource vaultSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' existing = {
  parent: vault
  name: secretName
}

var secretUri = '${vault.properties.vaultUri}secrets/${secretName}'
// Without a version the reference follows the newest version of the secret.
output reference string = '@Microsoft.KeyVault(SecretUri=${secretUri})'
output previousReference string = empty(previousVersion) ? '' : '@Microsoft.KeyVault(SecretUri=${secretUri}/${previousVersion})'
output vaultName string = vault.name
