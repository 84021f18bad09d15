// Roles on the app's own storage account (shared keys off, so every access is by Entra ID) and
// on Application Insights, for the app's identity; and the two an operator needs to hand the app
// a queue job and read its summary.
param storageAccountName string
param insightsName string
param identityPrincipalId string
param operatorPrincipalId string
param jobsQueue string
param resultsContainer string

var roles = {
  // The Functions host (keys in azure-webjobs-secrets, the Flex deployment package), Durable's
  // Azure Storage backend (large messages, leases), job summaries, fresh SAS tokens for copies.
  blobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  // The copy-jobs trigger and its poison queue; Durable's control and work-item queues.
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  // Durable's history and instance tables; the host's diagnostic events.
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  // Telemetry to Application Insights, whose local (key) authentication is off.
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  queueDataMessageSender: 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a'
  blobDataReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
}

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName

  resource queues 'queueServices' existing = {
    name: 'default'

    resource jobs 'queues' existing = {
      name: jobsQueue
    }
  }

  resource blobs 'blobServices' existing = {
    name: 'default'

    resource results 'containers' existing = {
      name: resultsContainer
    }
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: insightsName
}

resource appData 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in [roles.blobDataContributor, roles.queueDataContributor, roles.tableDataContributor]: {
  name: guid(account.id, identityPrincipalId, role)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

resource telemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(insights.id, identityPrincipalId, roles.monitoringMetricsPublisher)
  scope: insights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// The operator sends messages to the jobs queue only, and reads the results container only.
resource operatorSends 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  name: guid(account::queues::jobs.id, operatorPrincipalId, roles.queueDataMessageSender)
  scope: account::queues::jobs
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.queueDataMessageSender)
    principalId: operatorPrincipalId
  }
}

resource operatorReads 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  name: guid(account::blobs::results.id, operatorPrincipalId, roles.blobDataReader)
  scope: account::blobs::results
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.blobDataReader)
    principalId: operatorPrincipalId
  }
}
