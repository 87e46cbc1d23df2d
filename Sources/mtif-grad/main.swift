import Shared

runTool("mtif-grad") {
    throw MTIFError.usage("mtif-grad is being built")
}
