-- Argo CD health of a Lifeboat <Kind>, read from the conditions the operator writes for kstatus
-- (docs/health.md): Stalled=True is Degraded, Reconciling=True is Progressing, Ready=True is
-- Healthy. Written without the string and math libraries, which Argo CD does not open for a
-- script in argocd-cm unless an admin sets useOpenLibs.

-- An object being deleted is in progress whatever its conditions say (the upstream block).
if obj.metadata ~= nil and obj.metadata.deletionTimestamp ~= nil then
  local deleting = { status = "Progressing", message = "Pending deletion" }
  if obj.metadata.finalizers ~= nil and #obj.metadata.finalizers > 0 then
    deleting.message = "Pending deletion; blocked by finalizers: " .. table.concat(obj.metadata.finalizers, ", ")
  end
  return deleting
end

local hs = { status = "Progressing", message = "Waiting for the operator to report a status" }
if obj.status == nil then
  return hs
end

-- A status written for an older spec says nothing about the current one (kstatus reads it the same way).
if obj.status.observedGeneration ~= nil and obj.metadata.generation ~= nil
    and obj.status.observedGeneration ~= obj.metadata.generation then
  hs.message = "Waiting for the operator to observe generation " .. obj.metadata.generation
  return hs
end

-- The operator keeps Reconciling and Stalled only while True, and never both; Ready says the rest.
local ready = nil
for _, condition in ipairs(obj.status.conditions or {}) do
  if condition.type == "Reconciling" and condition.status == "True" then
    hs.message = condition.message
    return hs
  end
  if condition.type == "Stalled" and condition.status == "True" then
    return { status = "Degraded", message = condition.message }
  end
  if condition.type == "Ready" then
    ready = condition
  end
end
if ready ~= nil and ready.status == "True" then
  return { status = "Healthy", message = ready.message }
end
if ready ~= nil then
  hs.message = ready.message
end
return hs
