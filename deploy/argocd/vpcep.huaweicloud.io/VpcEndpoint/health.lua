-- ArgoCD health check for vpcep.huaweicloud.io/VpcEndpoint (Lua 5.1, ArgoCD's engine).
-- Order matters: paused -> Suspended; being deleted, not yet observed -> Progressing (stale conditions
-- describe an older spec, so they decide nothing); then cloud `rejected` or `failed`, or a reason that
-- needs a human (the service's terminal reasons, and the endpoint's: rejected, not whitelisted, no such
-- service, a publishing conflict) -> Degraded; a waiting reason -> Progressing; Ready=True -> Healthy;
-- anything else (creating, pendingAcceptance, deleting) -> Progressing.
local hs = {}

local degraded = {
  -- src/managed/verdicts.ts TERMINAL_REASONS, as for VpcEndpointService.
  CreateFailed = true,
  QuotaExceeded = true,
  InvalidSpec = true,
  AuthFailed = true,
  CredentialsMissing = true,
  OwnedByAnother = true,
  ProjectChanged = true,
  EndpointInvalid = true,
  -- The endpoint's own: the operator looks again slowly, but a human must act.
  Rejected = true,
  NotWhitelisted = true,
  ServiceNotFound = true,
  PublishConflict = true,
  PublishDisabled = true,
  PublishFailed = true,
}

-- Not terminal: the operator waits as asked, or for the other side, and retries by itself.
local waiting = {
  Throttled = true,
  PendingAcceptance = true,
  ServiceNotReady = true,
  PublishPending = true,
}

local function condition(conditions, kind)
  if conditions == nil then
    return nil
  end
  for _, c in ipairs(conditions) do
    if c.type == kind then
      return c
    end
  end
  return nil
end

local function describe(c, fallback)
  if c == nil then
    return fallback
  end
  local text = c.reason or fallback
  if c.message ~= nil and c.message ~= "" then
    text = text .. ": " .. c.message
  end
  return text
end

local meta = obj.metadata or {}
local annotations = meta.annotations or {}
local status = obj.status
local conditions = status and status.conditions or nil
local ready = condition(conditions, "Ready")
local synced = condition(conditions, "Synced")

if annotations["vpcep.huaweicloud.io/paused"] == "true" or
   (synced ~= nil and (synced.reason == "Paused" or synced.reason == "ReconcilePaused")) then
  hs.status = "Suspended"
  hs.message = "Reconciliation is paused (annotation vpcep.huaweicloud.io/paused)"
  return hs
end

if meta.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  if ready ~= nil and ready.reason == "Deleting" then
    hs.message = describe(ready, "Deleting")
  else
    hs.message = "Deleting the endpoint in the cloud"
  end
  return hs
end

if status == nil or (status.observedGeneration == nil and conditions == nil) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe the resource"
  return hs
end

-- The generation the conditions describe: the Ready condition's own, else the status's.
local generation = meta.generation
local observed = status.observedGeneration
if ready ~= nil and ready.observedGeneration ~= nil then
  observed = ready.observedGeneration
end
if generation ~= nil and (observed == nil or observed < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end

if status.status == "rejected" or status.status == "failed" then
  hs.status = "Degraded"
  if ready ~= nil and ready.status == "False" then
    hs.message = describe(ready, status.status == "rejected" and "Rejected" or "CreateFailed")
  elseif status.status == "rejected" then
    hs.message = "The owner of the endpoint service rejected the connection"
  else
    hs.message = "The cloud reports the endpoint as failed"
  end
  return hs
end

if ready ~= nil and ready.status == "False" and degraded[ready.reason] then
  hs.status = "Degraded"
  hs.message = describe(ready, "Failed")
  return hs
end
if synced ~= nil and synced.status == "False" and degraded[synced.reason] then
  hs.status = "Degraded"
  hs.message = describe(synced, "Failed")
  return hs
end

if ready ~= nil and ready.status ~= "True" and waiting[ready.reason] then
  hs.status = "Progressing"
  hs.message = describe(ready, "Waiting")
  return hs
end

if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready, "Available")
  return hs
end

hs.status = "Progressing"
if ready ~= nil then
  hs.message = describe(ready, "Reconciling")
elseif status.status == "creating" then
  hs.message = "Creating the endpoint in the cloud"
elseif status.status == "pendingAcceptance" then
  hs.message = "Waiting for the owner of the endpoint service to accept the connection"
elseif status.status == "deleting" then
  hs.message = "Deleting the endpoint in the cloud"
else
  hs.message = "Waiting for the Ready condition"
end
-- A retryable error of the last reconcile: say so, the operator retries with backoff.
if synced ~= nil and synced.status == "False" then
  hs.message = hs.message .. " (last reconcile: " .. describe(synced, "ReconcileError") .. ")"
end
return hs
