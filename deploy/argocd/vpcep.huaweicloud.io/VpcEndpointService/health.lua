-- ArgoCD health check for vpcep.huaweicloud.io/VpcEndpointService (Lua 5.1, ArgoCD's engine).
-- Order matters: paused -> Suspended; being deleted, not yet observed -> Progressing (stale conditions
-- describe an older spec, so they decide nothing); then cloud `failed` or a terminal reason ->
-- Degraded; a waiting reason (Throttled) -> Progressing; Ready=True -> Healthy; anything else ->
-- Progressing.
local hs = {}

local terminal = {
  CreateFailed = true,
  PortConflict = true,
  QuotaExceeded = true,
  InvalidSpec = true,
  AuthFailed = true,
  CredentialsMissing = true,
  -- The named cloud service belongs to another resource; nothing is ever written to it.
  OwnedByAnother = true,
  WhitelistLimit = true,
  -- Older versions' name for OwnedByAnother (objects they wrote may still carry it).
  AdoptionConflict = true,
  ProjectChanged = true,
  EndpointInvalid = true,
}

-- Not terminal: the operator waits as asked and retries by itself (Progressing, with the message).
-- Throttled: the cloud asked to wait. On Synced only, it shows as the last reconcile; with Ready True
-- (a throttled drift check) the resource stays Healthy.
local waiting = {
  Throttled = true,
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
  if ready ~= nil and (ready.reason == "Deleting" or ready.reason == "DeleteBlocked") then
    hs.message = describe(ready, "Deleting")
  else
    hs.message = "Deleting the endpoint service in the cloud"
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

if status.status == "failed" then
  hs.status = "Degraded"
  if ready ~= nil and ready.status == "False" then
    hs.message = describe(ready, "CreateFailed")
  else
    hs.message = "The cloud reports the endpoint service as failed"
  end
  return hs
end

if ready ~= nil and ready.status == "False" and terminal[ready.reason] then
  hs.status = "Degraded"
  hs.message = describe(ready, "Failed")
  return hs
end
if synced ~= nil and synced.status == "False" and terminal[synced.reason] then
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
  hs.message = "Creating the endpoint service in the cloud"
elseif status.status == "deleting" then
  hs.message = "Deleting the endpoint service in the cloud"
else
  hs.message = "Waiting for the Ready condition"
end
-- A retryable error of the last reconcile: say so, the operator retries with backoff.
if synced ~= nil and synced.status == "False" then
  hs.message = hs.message .. " (last reconcile: " .. describe(synced, "ReconcileError") .. ")"
end
return hs
