# Loaded by every Python process of the tempest run this directory is on PYTHONPATH for (the harness in
# TempestNetworkApiTest), never by the product. Debian's tempest 33 sleeps 10 s before each subnet delete of its
# network client ("avoids failures when it takes time to teardown some ports"): with a few hundred subnet deletes
# that is most of the run. This replaces that one method with the same request and no sleep.
try:
    from tempest.lib.services.network import subnets_client
except ImportError:  # a Python process that has no tempest: nothing to change
    subnets_client = None

if subnets_client is not None:
    def _delete_subnet_without_sleep(self, subnet_id):
        return self.delete_resource('/subnets/%s' % subnet_id)

    subnets_client.SubnetsClient.delete_subnet = _delete_subnet_without_sleep
