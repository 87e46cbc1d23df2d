import Shared

runTool("mtif-ihvp") {
    throw MTIFError.usage("mtif-ihvp is being built")
}
